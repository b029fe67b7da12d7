"""Test helpers shared by the four connectors' tests: request/response builders for HttpMocker, in-process and
CLI runners, and the pytest fixtures every mock-server suite needs."""
