from checks.cli import entry

# Guarded: a process pool worker (the code family's, spawned) imports this module as
# __mp_main__ and must not run the CLI again.
if __name__ == "__main__":
    entry()
