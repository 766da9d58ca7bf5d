namespace LwpWatch.Daemon.Tests;
