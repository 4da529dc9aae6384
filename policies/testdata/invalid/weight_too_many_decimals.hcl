# error: 4:5: initial_weight = 12.345 has more than two decimals
service "svc" {
  canary "c" {
    initial_weight = 12.345
    step {
      weight = 20
      bake   = "30s"
    }
  }
}
