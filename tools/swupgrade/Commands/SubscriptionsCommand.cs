using System.CommandLine;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Commands;

/// <summary><c>swupgrade subscriptions list|delete</c>.</summary>
public static class SubscriptionsCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        var command = new Command("subscriptions", "See and remove what is registered with the platform.")
        {
            CreateList(context, global),
            CreateDelete(context, global),
        };
        global.AddTo(command);
        return command;
    }

    private static Command CreateList(CliContext context, GlobalOptions global)
    {
        var notifyType = new Option<string?>("--notify-type") { Description = "Only this notify type.", HelpName = "TYPE" };
        var allowUnknown = AllowUnknownTypeOption();
        var command = new Command("list", "List the application's subscriptions (all pages).") { notifyType, allowUnknown };
        command.Validators.Add(result => CheckNotifyType(result, notifyType, allowUnknown));
        command.SetAction((parse, ct) =>
        {
            var type = parse.GetValue(notifyType);
            var json = parse.GetValue(global.Json);
            return CommandRunner.RunAsync(
                context,
                global,
                parse,
                async (client, token) =>
                {
                    var all = new List<Subscription>();
                    await foreach (var s in client.ListAllSubscriptionsAsync(type, token).ConfigureAwait(false))
                    {
                        all.Add(s);
                    }

                    if (json)
                    {
                        var node = new JsonObject
                        {
                            ["ok"] = true,
                            ["totalCount"] = all.Count,
                            ["subscriptions"] = new JsonArray([.. all.Select(s => (JsonNode)new JsonObject
                            {
                                ["subscriptionId"] = s.SubscriptionId,
                                ["notifyType"] = s.NotifyType,
                                ["callbackUrl"] = s.CallbackUrl,
                                ["channel"] = s.Channel,
                            })]),
                        };
                        await context.Stdout.WriteLineAsync(node.ToJsonString(CommandRunner.JsonOutput)).ConfigureAwait(false);
                    }
                    else if (all.Count == 0)
                    {
                        await context.Stdout.WriteLineAsync(type is null ? "No subscriptions." : $"No {type} subscriptions.").ConfigureAwait(false);
                    }
                    else
                    {
                        CommandRunner.WriteTable(
                            context.Stdout,
                            ["SUBSCRIPTION ID", "NOTIFY TYPE", "CALLBACK URL", "CHANNEL"],
                            all.Select(s => (IReadOnlyList<string?>)[s.SubscriptionId, s.NotifyType, s.CallbackUrl, s.Channel]));
                        await context.Stdout.WriteLineAsync($"{all.Count} subscription(s).").ConfigureAwait(false);
                    }

                    return ExitCodes.Ok;
                },
                validate: null,
                ct);
        });
        return command;
    }

    private static Command CreateDelete(CliContext context, GlobalOptions global)
    {
        var id = new Option<string?>("--id") { Description = "Delete the subscription with this id.", HelpName = "ID" };
        var notifyType = new Option<string?>("--notify-type") { Description = "Delete the subscriptions of this notify type (covers the upgrade types).", HelpName = "TYPE" };
        var callbackUrl = new Option<string?>("--callback-url")
        {
            Description = "With --notify-type: only those to this callback URL, compared as 'subscribe' stores it (https://host/path matches https://host:443/path).",
            HelpName = "URL",
        };
        var allowUnknown = AllowUnknownTypeOption();
        var command = new Command("delete", "Delete one subscription by id, or those of a notify type (optionally to one callback URL); says how many were deleted.")
        {
            id,
            notifyType,
            callbackUrl,
            allowUnknown,
        };
        command.Validators.Add(result =>
        {
            if (!CommandValues.TryGet(result, id, out var idValue)
                || !CommandValues.TryGet(result, notifyType, out var typeValue)
                || !CommandValues.TryGet(result, callbackUrl, out var urlValue))
            {
                return; // the parser reports the option without its value
            }

            var hasId = !string.IsNullOrWhiteSpace(idValue);
            var hasType = !string.IsNullOrWhiteSpace(typeValue);
            if (hasId == hasType)
            {
                result.AddError("Give either --id ID or --notify-type TYPE [--callback-url URL].");
            }
            else if (hasId && urlValue is not null)
            {
                result.AddError("--callback-url goes with --notify-type, not with --id.");
            }
            else if (hasType)
            {
                CheckNotifyType(result, notifyType, allowUnknown);
            }
        });
        command.SetAction((parse, ct) =>
        {
            var subscriptionId = parse.GetValue(id);
            var type = parse.GetValue(notifyType);
            var url = parse.GetValue(callbackUrl);
            var json = parse.GetValue(global.Json);
            return CommandRunner.RunAsync(
                context,
                global,
                parse,
                async (client, token) =>
                {
                    JsonObject deleted;
                    string message;
                    if (subscriptionId is not null)
                    {
                        await client.DeleteSubscriptionAsync(subscriptionId, token).ConfigureAwait(false);
                        deleted = new JsonObject { ["subscriptionId"] = subscriptionId, ["removed"] = 1 };
                        message = $"Deleted subscription {subscriptionId}.";
                    }
                    else
                    {
                        var result = await client.DeleteSubscriptionsAsync(type!, url, token).ConfigureAwait(false);
                        deleted = new JsonObject
                        {
                            ["notifyType"] = result.NotifyType,
                            ["callbackUrl"] = result.CallbackUrl,
                            ["removed"] = result.Removed,
                            ["remaining"] = result.Remaining,
                        };
                        message = DeleteMessage(result);
                    }

                    await context.Stdout.WriteLineAsync(json
                        ? new JsonObject { ["ok"] = true, ["deleted"] = deleted }.ToJsonString(CommandRunner.JsonOutput)
                        : message).ConfigureAwait(false);
                    return ExitCodes.Ok;
                },
                validate: () =>
                {
                    if (url is not null)
                    {
                        CallbackUrl.Normalize(url, allowHttp: true);
                    }
                },
                ct);
        });
        return command;
    }

    internal static string DeleteMessage(DeleteResult result)
    {
        var what = result.CallbackUrl is null ? result.NotifyType : $"{result.NotifyType} subscription to {result.CallbackUrl}";
        var text = result.Removed switch
        {
            0 when result.CallbackUrl is null => $"Nothing was deleted: no {result.NotifyType} subscription was listed.",
            0 => $"Nothing was deleted: no {what} was listed.",
            1 => $"Deleted 1 {(result.CallbackUrl is null ? result.NotifyType + " subscription" : what)}.",
            var n => result.CallbackUrl is null ? $"Deleted {n} {result.NotifyType} subscriptions." : $"Deleted {n} {result.NotifyType} subscriptions to {result.CallbackUrl}.",
        };
        if (result.Removed == 0 && NotifyTypes.IsUpgrade(result.NotifyType))
        {
            text += " The delete was sent anyway: some platform editions do not list the upgrade types' subscriptions.";
        }

        if (result.Remaining > 0)
        {
            text += $" {result.Remaining} matching subscription(s) are still listed: see 'swupgrade subscriptions list --notify-type {result.NotifyType}'.";
        }

        return text;
    }

    private static Option<bool> AllowUnknownTypeOption() => new("--allow-unknown-type")
    {
        Description = "Accept a --notify-type this tool does not know (e.g. one a newer platform edition added).",
    };

    private static void CheckNotifyType(System.CommandLine.Parsing.CommandResult result, Option<string?> notifyType, Option<bool> allowUnknown)
    {
        if (CommandValues.TryGet(result, notifyType, out var type) && type is not null
            && !NotifyTypes.IsKnown(type)
            && !(CommandValues.TryGet(result, allowUnknown, out var allow) && allow))
        {
            result.AddError($"Unknown notify type '{type}'. Known types: {string.Join(", ", NotifyTypes.All)}. Pass --allow-unknown-type to use it anyway.");
        }
    }
}
