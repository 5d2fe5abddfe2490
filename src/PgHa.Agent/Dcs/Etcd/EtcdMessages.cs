using System.Text.Json.Serialization;

namespace PgHa.Agent.Dcs.Etcd;

// The JSON gateway's shapes: int64 fields travel as strings, bytes as base64, and fields at their default
// value (false, 0, empty) are omitted: a failed txn has no "succeeded", a PUT event no "type".

internal sealed record ResponseHeader([property: JsonPropertyName("revision")] long Revision);

internal sealed record HeaderResponse([property: JsonPropertyName("header")] ResponseHeader Header);

internal sealed record KeyValue(
    [property: JsonPropertyName("key")] byte[] Key,
    [property: JsonPropertyName("value")] byte[]? Value,
    [property: JsonPropertyName("create_revision")] long CreateRevision,
    [property: JsonPropertyName("mod_revision")] long ModRevision,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("lease")] long Lease);

internal sealed record RangeRequest(
    [property: JsonPropertyName("key")] byte[] Key,
    [property: JsonPropertyName("range_end")] byte[]? RangeEnd = null);

internal sealed record RangeResponse(
    [property: JsonPropertyName("header")] ResponseHeader Header,
    [property: JsonPropertyName("kvs")] KeyValue[]? Kvs);

internal sealed record PutRequest(
    [property: JsonPropertyName("key")] byte[] Key,
    [property: JsonPropertyName("value")] byte[] Value,
    [property: JsonPropertyName("lease")] long Lease = 0);

internal sealed record DeleteRangeRequest(
    [property: JsonPropertyName("key")] byte[] Key,
    [property: JsonPropertyName("range_end")] byte[]? RangeEnd = null);

internal sealed record DeleteRangeResponse(
    [property: JsonPropertyName("header")] ResponseHeader Header,
    [property: JsonPropertyName("deleted")] long Deleted);

internal sealed record Compare(
    [property: JsonPropertyName("key")] byte[] Key,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("result")] string Result = "EQUAL",
    [property: JsonPropertyName("create_revision")] long? CreateRevision = null,
    [property: JsonPropertyName("mod_revision")] long? ModRevision = null,
    [property: JsonPropertyName("value")] byte[]? Value = null,
    [property: JsonPropertyName("lease")] long? Lease = null);

internal sealed record RequestOp(
    [property: JsonPropertyName("request_range")] RangeRequest? Range = null,
    [property: JsonPropertyName("request_put")] PutRequest? Put = null,
    [property: JsonPropertyName("request_delete_range")] DeleteRangeRequest? Delete = null);

internal sealed record TxnRequest(
    [property: JsonPropertyName("compare")] Compare[] Compare,
    [property: JsonPropertyName("success")] RequestOp[] Success,
    [property: JsonPropertyName("failure")] RequestOp[] Failure);

internal sealed record ResponseOp([property: JsonPropertyName("response_range")] RangeResponse? Range);

internal sealed record TxnResponse(
    [property: JsonPropertyName("header")] ResponseHeader Header,
    [property: JsonPropertyName("succeeded")] bool Succeeded,
    [property: JsonPropertyName("responses")] ResponseOp[]? Responses);

internal sealed record LeaseGrantRequest([property: JsonPropertyName("TTL")] long Ttl);

internal sealed record LeaseIdRequest([property: JsonPropertyName("ID")] long Id);

internal sealed record LeaseGrantResponse([property: JsonPropertyName("ID")] long Id, [property: JsonPropertyName("TTL")] long Ttl);

internal sealed record LeaseKeepAliveResult([property: JsonPropertyName("ID")] long Id, [property: JsonPropertyName("TTL")] long Ttl);

internal sealed record StreamEnvelope<T>(
    [property: JsonPropertyName("result")] T? Result,
    [property: JsonPropertyName("error")] ErrorBody? Error);

/// <summary>A unary error carries "code"; an error inside a stream carries "grpc_code" (and "http_code").</summary>
internal sealed record ErrorBody(
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("grpc_code")] int GrpcCode = 0)
{
    public int StatusCode => Code != 0 ? Code : GrpcCode;
}

internal sealed record AuthenticateRequest([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("password")] string Password);

internal sealed record AuthenticateResponse([property: JsonPropertyName("token")] string Token);

internal sealed record WatchCreate(
    [property: JsonPropertyName("key")] byte[] Key,
    [property: JsonPropertyName("range_end")] byte[]? RangeEnd,
    [property: JsonPropertyName("start_revision")] long StartRevision);

internal sealed record WatchRequest([property: JsonPropertyName("create_request")] WatchCreate CreateRequest);

internal sealed record WatchEventBody(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("kv")] KeyValue Kv);

internal sealed record WatchResponse(
    [property: JsonPropertyName("header")] ResponseHeader Header,
    [property: JsonPropertyName("created")] bool Created,
    [property: JsonPropertyName("canceled")] bool Canceled,
    [property: JsonPropertyName("compact_revision")] long CompactRevision,
    [property: JsonPropertyName("cancel_reason")] string? CancelReason,
    [property: JsonPropertyName("events")] WatchEventBody[]? Events);
