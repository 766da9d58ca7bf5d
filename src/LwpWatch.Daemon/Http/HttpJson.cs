using System.Text.Json.Serialization;

namespace LwpWatch.Daemon.Http;

/// <summary>The body of every API error: {"error": "..."}.</summary>
public sealed record ApiError(string Error);

/// <summary>JSON written by the HTTP endpoints through the serializer, generated at compile time (NativeAOT has no reflection JSON).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ApiError))]
internal sealed partial class HttpJson : JsonSerializerContext;
