"""One module per benchmark; each registers itself with `@benchmark(name)`."""
