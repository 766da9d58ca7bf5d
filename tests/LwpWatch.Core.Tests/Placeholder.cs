namespace LwpWatch.Core.Tests;
