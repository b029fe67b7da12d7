from destination_plecto.run import run

if __name__ == "__main__":
    run()
