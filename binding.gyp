{
  "targets": [
    {
      "target_name": "sweep_native",
      "sources": ["src/train/kernels/gemm.c"],
      "cflags": ["-O3", "-ffp-contract=off"]
    }
  ]
}
