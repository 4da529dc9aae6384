# error: 5:5: gradual is only used with switch = "gradual"
service "svc" {
  blue_green "b" {
    switch = "instant"
    gradual {
      steps = [50, 100]
      bake  = "30s"
    }
  }
}
