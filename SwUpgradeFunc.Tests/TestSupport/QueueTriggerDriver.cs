using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// Stands in for the Functions host's queue listener, which cannot run here: it receives the raw messages from
/// Azurite, decodes them as host.json's messageEncoding tells the host to, passes the function a message holding the
/// decoded text with the message's id and dequeue count (as the worker's QueueMessage binding does), deletes a message
/// on success, and after maxDequeueCount failures moves it to the poison queue as the host does.
/// </summary>
public sealed class QueueTriggerDriver
{
    private readonly QueueClient _queue;
    private readonly QueueClient _poison;
    private readonly string _encoding;
    private readonly int _maxDequeueCount;

    public QueueTriggerDriver(string connectionString, string queueName)
    {
        _queue = new QueueClient(connectionString, queueName);
        _poison = new QueueClient(connectionString, queueName + "-poison");
        using var host = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")));
        var queues = host.RootElement.GetProperty("extensions").GetProperty("queues");
        _encoding = queues.GetProperty("messageEncoding").GetString()!;
        _maxDequeueCount = queues.GetProperty("maxDequeueCount").GetInt32();
    }

    public int Failures { get; private set; }

    /// <summary>Runs until the queue is empty; returns the number of successful invocations.</summary>
    public async Task<int> DrainAsync(Func<QueueMessage, Task> function, int parallelism = 1)
    {
        await _queue.CreateIfNotExistsAsync();
        var succeeded = 0;
        for (var idle = 0; idle < 2;)
        {
            var messages = (await _queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
            if (messages.Length == 0)
            {
                idle++;
                continue;
            }

            idle = 0;
            using var gate = new SemaphoreSlim(parallelism);
            await Task.WhenAll(messages.Select(async message =>
            {
                await gate.WaitAsync();
                try
                {
                    var text = _encoding == "base64"
                        ? Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString()))
                        : message.Body.ToString();
                    var decoded = QueuesModelFactory.QueueMessage(message.MessageId, message.PopReceipt, text, message.DequeueCount,
                        message.NextVisibleOn, message.InsertedOn, message.ExpiresOn);
                    try
                    {
                        await function(decoded);
                        Interlocked.Increment(ref succeeded);
                        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    }
                    catch (Exception) when (message.DequeueCount < _maxDequeueCount)
                    {
                        Failures++;
                        await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                    }
                    catch (Exception)
                    {
                        Failures++;
                        await _poison.CreateIfNotExistsAsync();
                        await _poison.SendMessageAsync(message.Body);
                        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        return succeeded;
    }
}
