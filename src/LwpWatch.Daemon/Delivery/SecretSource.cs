namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// Reads a receiver secret from a file or an environment variable. Errors name where it looked, never
/// what it found: secrets must not reach a log line.
/// </summary>
public static class SecretSource
{
    /// <summary>The secret, or null when neither source is configured.</summary>
    public static string? Read(string file, string env, string what)
    {
        if (file.Length > 0)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"{what}: cannot read secret file {file}: {ex.GetType().Name}", ex);
            }

            var trimmed = text.Trim();
            return trimmed.Length > 0 ? trimmed : throw new InvalidOperationException($"{what}: secret file {file} is empty");
        }

        if (env.Length > 0)
        {
            var value = Environment.GetEnvironmentVariable(env);
            return string.IsNullOrWhiteSpace(value)
                ? throw new InvalidOperationException($"{what}: environment variable {env} is not set")
                : value.Trim();
        }

        return null;
    }
}
