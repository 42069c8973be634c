{
  "targets": [
    {
      "target_name": "sweep_native",
      "sources": ["src/train/kernels/native.c"],
      "cflags": ["-O3", "-ffp-contract=off"]
    }
  ]
}
