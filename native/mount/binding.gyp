{
  "targets": [
    {
      "target_name": "mount",
      "sources": ["mount.c"]
    }
  ]
}
