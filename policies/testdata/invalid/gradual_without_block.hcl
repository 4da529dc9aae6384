# error: 4:5: switch = "gradual" needs a gradual block
service "svc" {
  blue_green "b" {
    switch = "gradual"
  }
}
