# error: 6:7: bake = 30 has no unit
service "svc" {
  canary "c" {
    step {
      weight = 5
      bake   = 30
    }
  }
}
