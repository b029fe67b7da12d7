from source_protime.run import run

if __name__ == "__main__":
    run()
