namespace LwpWatch.Collectors.Tests;
