# error: 12:7: step 2 weight 25 is not above step 1 weight 25
# error: 16:7: step 3 weight 10 is not above step 2 weight 25
service "svc" {
  canary "c" {
    initial_weight = 5
    step {
      weight = 25
      bake   = "30s"
    }
    step {
      bake   = "30s"
      weight = 25
    }
    step {
      bake   = "30s"
      weight = 10
    }
  }
}
