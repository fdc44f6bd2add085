test-host-bins:
