# error: 10:7: step 2 weight 75 is above max_weight 50
service "svc" {
  canary "c" {
    max_weight = 50
    step {
      weight = 25
      bake   = "30s"
    }
    step {
      weight = 75
      bake   = "30s"
    }
  }
}
