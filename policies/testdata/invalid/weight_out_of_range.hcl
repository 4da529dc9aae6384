# error: 6:7: weight = 120 is outside 0-100
# error: 10:7: weight = -5 is outside 0-100
service "svc" {
  canary "c" {
    step {
      weight = 120
      bake   = "30s"
    }
    step {
      weight = -5
      bake   = "30s"
    }
  }
}
