"""kisgen: the KIS Open API spec, its generator and the tools around it."""
