"""swifttune's machinery behind ``tune``: the run loop, the executors and their worker processes, the
trial files, the state writer and the progress output. Private: nothing here is a user's API."""
