// The collectors and their tests run on Linux (CI) and illumos only; this lets the tests use Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
