# error: 4:5: initial_weight 60 is above max_weight 50
service "svc" {
  canary "c" {
    initial_weight = 60
    max_weight     = 50
    step {
      weight = 50
      bake   = "30s"
    }
  }
}
