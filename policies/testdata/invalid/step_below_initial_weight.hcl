# error: 6:7: step 1 weight 5 is below initial_weight 10
service "svc" {
  canary "c" {
    initial_weight = 10
    step {
      weight = 5
      bake   = "30s"
    }
  }
}
