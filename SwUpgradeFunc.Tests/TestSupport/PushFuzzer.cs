using System.Text;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>Seeded generator of push bodies: valid ones, JSON-level mutations of them, byte-level damage and noise.</summary>
public sealed class PushFuzzer(int seed)
{
    private static readonly string[] Fields =
    [
        "notifyType", "deviceId", "appId", "operationId", "subOperationId", "swUpgradeState", "step", "stepDesc",
        "swUpgradeResult", "status", "statusDesc", "curVersion", "targetVersion", "sourceVersion", "upgradeTime",
        "resultDesc", "errorCode", "description", "unknownField",
    ];

    private const string Specials = "{}[]\",:\\ 0aZ\u0000";
    private const string JsonAlphabet = "{}[]\",:tfn0123456789 abc";

    private readonly Random _random = new(seed);

    public byte[] Next()
    {
        var roll = _random.Next(100);
        return roll switch
        {
            < 15 => Pushes.Bytes(Valid()),
            < 55 => Pushes.Bytes(MutateJson(Valid())),
            < 90 => MutateBytes(Pushes.Bytes(_random.Next(4) == 0 ? MutateJson(Valid()) : Valid())),
            _ => Noise(),
        };
    }

    private JsonObject Valid()
    {
        var type = _random.Next(6) switch
        {
            4 => null,
            5 => "deviceDataChanged",
            var i => NotifyTypes.UpgradeTypes[i],
        };
        return type is null ? new JsonObject { ["notifyType"] = "deviceAdded" } : type.StartsWith("device", StringComparison.Ordinal)
            ? new JsonObject { ["notifyType"] = type, ["deviceId"] = "d" }
            : Pushes.Of(type);
    }

    private JsonObject MutateJson(JsonObject body)
    {
        var count = _random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var field = Fields[_random.Next(Fields.Length)];
            switch (_random.Next(5))
            {
                case 0:
                    body.Remove(field);
                    break;
                case 1:
                    body[field] = RandomValue();
                    break;
                case 2:
                    body["x" + _random.Next(1000)] = RandomValue();
                    break;
                case 3:
                    body[field] = new string((char)_random.Next(32, 127), _random.Next(0, 3000));
                    break;
                default:
                    body["notifyType"] = _random.Next(3) == 0 ? RandomValue() : NotifyTypes.UpgradeTypes[_random.Next(4)];
                    break;
            }
        }

        return body;
    }

    private JsonNode? RandomValue() => _random.Next(9) switch
    {
        0 => null,
        1 => _random.Next(),
        2 => _random.NextDouble(),
        3 => _random.Next(2) == 0,
        4 => new JsonArray(_random.Next(), "a"),
        5 => new JsonObject { ["k"] = "v" },
        6 => "",
        7 => " \t",
        _ => "v" + _random.Next(),
    };

    private byte[] MutateBytes(byte[] bytes)
    {
        var list = bytes.ToList();
        var count = _random.Next(1, 5);
        for (var i = 0; i < count && list.Count > 0; i++)
        {
            var at = _random.Next(list.Count);
            switch (_random.Next(5))
            {
                case 0:
                    list.RemoveRange(at, Math.Min(list.Count - at, _random.Next(1, 8)));
                    break;
                case 1:
                    list.Insert(at, (byte)_random.Next(256));
                    break;
                case 2:
                    list[at] = (byte)Specials[_random.Next(Specials.Length)];
                    break;
                case 3:
                    list.RemoveRange(at, list.Count - at);
                    break;
                default:
                    list.InsertRange(at, list.Skip(at).Take(_random.Next(1, 30)).ToArray());
                    break;
            }
        }

        return [.. list];
    }

    private byte[] Noise()
    {
        var bytes = new byte[_random.Next(0, 300)];
        _random.NextBytes(bytes);
        if (_random.Next(2) == 0)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)JsonAlphabet[bytes[i] % JsonAlphabet.Length];
            }
        }

        return bytes;
    }

    public static string Show(byte[] body) => Encoding.UTF8.GetString(body);
}
