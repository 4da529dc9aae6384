# error: 9:14: blue_green "standard": duplicate plan name; canary "standard" is already declared at line 3
service "svc" {
  canary "standard" {
    step {
      weight = 5
      bake   = "30s"
    }
  }
  blue_green "standard" {
  }
}
