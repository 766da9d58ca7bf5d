namespace LwpWatch.Daemon.Tests.Support;

/// <summary>The test-side sh word splitter, on the cases the hints meet (XCU 2.2, 2.6.7).</summary>
public sealed class ShellWordsTests
{
    [Theory]
    [InlineData("systemctl set-property lwpvm-notify@1.service TasksMax=90", new[] { "systemctl", "set-property", "lwpvm-notify@1.service", "TasksMax=90" })]
    [InlineData(@"echo 90 > '/sys/fs/cgroup/system.slice/system-lwpvm\x2dnotify.slice/pids.max'", new[] { "echo", "90", ">", @"/sys/fs/cgroup/system.slice/system-lwpvm\x2dnotify.slice/pids.max" })]
    [InlineData(@"echo 90 >/sys/fs/cgroup/a\x2db/pids.max", new[] { "echo", "90", ">", "/sys/fs/cgroup/ax2db/pids.max" })]
    [InlineData(@"echo 1 > 'it'\''s'", new[] { "echo", "1", ">", "it's" })]
    [InlineData("docker update --pids-limit 90 \"lwpvm docker\"", new[] { "docker", "update", "--pids-limit", "90", "lwpvm docker" })]
    public void Splits_like_sh(string line, string[] words) => Assert.Equal(words, ShellWords.Split(line));

    [Theory]
    [InlineData("echo 1 > /sys/fs/cgroup/x;reboot/pids.max")]
    [InlineData("echo 1 > /sys/fs/cgroup/$(reboot)/pids.max")]
    [InlineData("echo 1 > \"/sys/fs/cgroup/$HOME/pids.max\"")]
    [InlineData("echo 1 > '/sys/fs/cgroup/unterminated")]
    [InlineData("systemctl set-property a`id`.service TasksMax=1")]
    public void Refuses_what_would_make_sh_do_more(string line) => Assert.Throws<FormatException>(() => ShellWords.Split(line));
}
