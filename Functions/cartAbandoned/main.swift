print("cartAbandoned")
