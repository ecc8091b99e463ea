using System.CommandLine;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Commands;

/// <summary><c>swupgrade subscribe --callback-url URL [--notify-type T ...] [--all-upgrade-types]</c>: idempotent.</summary>
public static class SubscribeCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        var callbackUrl = new Option<string>("--callback-url")
        {
            Description = $"The deployed function's callback URL (https://host:port/path; default path {CallbackUrl.DefaultPath}).",
            Required = true,
            HelpName = "URL",
        };
        var notifyTypes = new Option<string[]>("--notify-type")
        {
            Description = $"A notify type to subscribe; repeat for several. Default: {NotifyTypes.SwUpgradeStateChange}.",
            HelpName = "TYPE",
            AllowMultipleArgumentsPerToken = false,
        };
        var allUpgradeTypes = new Option<bool>("--all-upgrade-types")
        {
            Description = "Subscribe the four upgrade notify types: " + string.Join(", ", NotifyTypes.UpgradeTypes) + ".",
        };
        var allowHttp = new Option<bool>("--allow-http-callback")
        {
            Description = "Accept an http (unencrypted) callback URL. Not for production.",
        };

        var command = new Command("subscribe", "Register the callback URL with the platform. Running it again succeeds again.")
        {
            callbackUrl,
            notifyTypes,
            allUpgradeTypes,
            allowHttp,
        };
        global.AddTo(command);
        command.Validators.Add(result =>
        {
            if (!CommandValues.TryGet(result, notifyTypes, out var given))
            {
                return; // the parser reports the option without its value
            }

            foreach (var type in given ?? [])
            {
                if (!NotifyTypes.IsKnown(type))
                {
                    result.AddError($"Unknown notify type '{type}'. Known types: {string.Join(", ", NotifyTypes.All)}.");
                }
            }
        });

        command.SetAction((parse, ct) =>
        {
            var types = new List<string>();
            if (parse.GetValue(allUpgradeTypes))
            {
                types.AddRange(NotifyTypes.UpgradeTypes);
            }

            foreach (var t in parse.GetValue(notifyTypes) ?? [])
            {
                if (!types.Contains(t, StringComparer.Ordinal))
                {
                    types.Add(t);
                }
            }

            if (types.Count == 0)
            {
                types.Add(NotifyTypes.SwUpgradeStateChange);
            }

            var allow = parse.GetValue(allowHttp);
            var url = parse.GetValue(callbackUrl) ?? string.Empty;
            var json = parse.GetValue(global.Json);
            return CommandRunner.RunAsync(
                context,
                global,
                parse,
                async (client, token) =>
                {
                    var results = new JsonArray();
                    foreach (var type in types)
                    {
                        var r = await client.SubscribeAsync(type, url, allow, token).ConfigureAwait(false);
                        if (json)
                        {
                            results.Add(new JsonObject
                            {
                                ["notifyType"] = r.NotifyType,
                                ["callbackUrl"] = r.CallbackUrl,
                                ["status"] = r.Outcome == SubscribeOutcome.Subscribed ? "subscribed" : "already-subscribed",
                                ["api"] = r.Api,
                                ["subscriptionId"] = r.SubscriptionId,
                            });
                        }
                        else
                        {
                            var what = r.Outcome == SubscribeOutcome.Subscribed ? "Subscribed" : "Already subscribed";
                            var id = r.SubscriptionId is null ? string.Empty : $", subscription {r.SubscriptionId}";
                            await context.Stdout.WriteLineAsync($"{what} {r.NotifyType} -> {r.CallbackUrl} ({r.Api}-data API{id})").ConfigureAwait(false);
                        }
                    }

                    if (json)
                    {
                        var node = new JsonObject { ["ok"] = true, ["subscriptions"] = results };
                        await context.Stdout.WriteLineAsync(node.ToJsonString(CommandRunner.JsonOutput)).ConfigureAwait(false);
                    }

                    return ExitCodes.Ok;
                },
                validate: () => CallbackUrl.Normalize(url, allow),
                ct);
        });
        return command;
    }
}
