# A single-line block holds one argument only: the compact step form needs one argument
# per line.
# error: 6:23: Invalid single-argument block definition
service "svc" {
  canary "c" {
    step { weight = 5 bake = "30s" }
  }
}
