namespace VideoQuality.Alarms;

/// <summary>
/// The bounded, in-order queue of alarm events of one publisher (MQTT, webhook): <see cref="Add"/> never blocks; a full
/// outbox drops its oldest event (returned to the caller to count and log); the worker peeks the oldest event and
/// removes it only once it was delivered, so an event that failed is sent again, in order. Thread-safe.
/// </summary>
internal sealed class AlarmOutbox(int capacity, IAlarmMetrics metrics) : IDisposable
{
    private readonly LinkedList<AlarmEvent> _events = new();
    private readonly SemaphoreSlim _signal = new(0);
    private long _overflowed;

    /// <summary>Events waiting.</summary>
    public int Count
    {
        get
        {
            lock (_events)
            {
                return _events.Count;
            }
        }
    }

    /// <summary>Events dropped because the outbox was full.</summary>
    public long Overflowed => Interlocked.Read(ref _overflowed);

    /// <summary>Queues an event and wakes the worker; returns the oldest event if it had to be dropped to make room.</summary>
    public AlarmEvent? Add(AlarmEvent alarm)
    {
        int depth;
        AlarmEvent? dropped = null;
        lock (_events)
        {
            if (_events.Count >= capacity)
            {
                dropped = _events.First!.Value;
                _events.RemoveFirst();
            }

            _events.AddLast(alarm);
            depth = _events.Count;
        }

        if (dropped is not null)
        {
            Interlocked.Increment(ref _overflowed);
            metrics.OutboxOverflow();
        }

        metrics.OutboxDepth(depth);
        _signal.Release();
        return dropped;
    }

    /// <summary>Wakes the worker without an event (e.g. telemetry to send).</summary>
    public void Wake() => _signal.Release();

    /// <summary>Waits until something was added (or <see cref="Wake"/> was called).</summary>
    public Task WaitAsync(CancellationToken ct) => _signal.WaitAsync(ct);

    /// <summary>The oldest event, left in the outbox.</summary>
    public bool TryPeek(out AlarmEvent head)
    {
        lock (_events)
        {
            head = _events.First?.Value!;
            return head is not null;
        }
    }

    /// <summary>Removes <paramref name="head"/> once delivered (unless it was dropped meanwhile).</summary>
    public void RemoveHead(AlarmEvent head)
    {
        int depth;
        lock (_events)
        {
            if (ReferenceEquals(_events.First?.Value, head))
            {
                _events.RemoveFirst();
            }

            depth = _events.Count;
        }

        metrics.OutboxDepth(depth);
    }

    /// <summary>Waits until the outbox is empty (everything delivered) or <paramref name="timeout"/> passes.</summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (Count > 0)
        {
            if (DateTime.UtcNow >= until)
            {
                return false;
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Releases the wait handle.</summary>
    public void Dispose() => _signal.Dispose();
}
