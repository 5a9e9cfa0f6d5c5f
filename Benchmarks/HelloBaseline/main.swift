// The cold-start baseline: a hello-world Swift binary built exactly like the handlers, so
// `tidings bench` can report the handler's start-up as a ratio measured in one run.
print("{\"hello\":\"world\"}")
