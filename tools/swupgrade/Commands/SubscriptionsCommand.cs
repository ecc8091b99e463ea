using System.CommandLine;
using System.Text.Json.Nodes;
using SwUpgrade.Cli.Platform;

namespace SwUpgrade.Cli.Commands;

/// <summary><c>swupgrade subscriptions list|delete</c>.</summary>
public static class SubscriptionsCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        return new Command("subscriptions", "See and remove what is registered with the platform.")
        {
            CreateList(context, global),
            CreateDelete(context, global),
        };
    }

    private static Command CreateList(CliContext context, GlobalOptions global)
    {
        var notifyType = new Option<string?>("--notify-type") { Description = "Only this notify type.", HelpName = "TYPE" };
        var command = new Command("list", "List the application's subscriptions (all pages).") { notifyType };
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
        var callbackUrl = new Option<string?>("--callback-url") { Description = "With --notify-type: only those to this exact callback URL.", HelpName = "URL" };
        var command = new Command("delete", "Delete one subscription by id, or those of a notify type (optionally to one callback URL).")
        {
            id,
            notifyType,
            callbackUrl,
        };
        command.Validators.Add(result =>
        {
            var hasId = !string.IsNullOrWhiteSpace(result.GetValue(id));
            var hasType = !string.IsNullOrWhiteSpace(result.GetValue(notifyType));
            if (hasId == hasType)
            {
                result.AddError("Give either --id ID or --notify-type TYPE [--callback-url URL].");
            }
            else if (hasId && result.GetValue(callbackUrl) is not null)
            {
                result.AddError("--callback-url goes with --notify-type, not with --id.");
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
                        deleted = new JsonObject { ["subscriptionId"] = subscriptionId };
                        message = $"Deleted subscription {subscriptionId}.";
                    }
                    else
                    {
                        await client.DeleteSubscriptionsAsync(type!, url, token).ConfigureAwait(false);
                        deleted = new JsonObject { ["notifyType"] = type, ["callbackUrl"] = url };
                        message = url is null ? $"Deleted the {type} subscriptions." : $"Deleted the {type} subscriptions to {url}.";
                    }

                    await context.Stdout.WriteLineAsync(json
                        ? new JsonObject { ["ok"] = true, ["deleted"] = deleted }.ToJsonString(CommandRunner.JsonOutput)
                        : message).ConfigureAwait(false);
                    return ExitCodes.Ok;
                },
                validate: null,
                ct);
        });
        return command;
    }
}
