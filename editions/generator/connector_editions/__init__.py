"""Each source's editions, generated from its package (the source of truth): a build tool of the repository's venv.

The packages under connectors/source-*/ are what the CLI, PyAirbyte and our images run. Airbyte takes the same
sources in other forms; each is generated here, never edited by hand:

- `self_contained`: a package's manifest as one document (inline schemas, custom classes in module `components`)
  and `bundle`: its components.py with the connector_kit modules it needs, what every edition starts from;
- `manifest_only`: Airbyte's manifest-only layout, editions/manifest-only/<source>/ (`make manifest-only`);
- `run`: an edition folder run as Airbyte's source-declarative-manifest runs it (the tests use it).

No connector image installs this package.
"""
