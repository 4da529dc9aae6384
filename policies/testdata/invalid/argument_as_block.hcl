# error: 4:5: limits is a block, not an argument
service "svc" {
  canary "c" {
    limits = 3
    step {
      weight = 5
      bake   = "30s"
    }
  }
}
