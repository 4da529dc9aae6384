# error: 3:3: canary "c": canary plan has no steps
service "svc" {
  canary "c" {
    initial_weight = 5
  }
}
