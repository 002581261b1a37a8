using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Warnings;

/// <summary>
/// One CAP document an agency posted (weather, marine, flood, earthquake, forest fire), taken as the spec says
/// (specs/cap/README.md) and kept with OASIS values. (Sender, Identifier) is unique: a CAP identifier names one message
/// of its sender. An Update or Cancel belongs to the thread of the first message it references. Times are Unix ms.
/// </summary>
internal sealed class Warning
{
    public const int MaxKeyLength = 256;

    public long Id { get; init; }
    public required string Sender { get; init; }
    public required string Identifier { get; init; }
    public required long Sent { get; init; }

    /// <summary>Alert, Update or Cancel.</summary>
    public required string MsgType { get; init; }

    /// <summary>Actual or Test: only actual warnings reach everyone.</summary>
    public required string Status { get; init; }

    /// <summary>The first info's <c>event</c>: what is warned of (台风, 暴雨).</summary>
    public required string Event { get; init; }

    /// <summary>The hub's domain of the hazard (weather, marine, flood, earthquake, geology, forest-fire).</summary>
    public required string Domain { get; init; }

    /// <summary>The colour; null when the agency gave severity Unknown.</summary>
    public AlertLevel? Level { get; init; }

    /// <summary>The OASIS severity of the first info.</summary>
    public required string Severity { get; init; }

    public string? Headline { get; init; }

    /// <summary>When the warning ends by itself: the latest <c>expires</c> of its infos; null when one of them has none.</summary>
    public long? Expires { get; init; }

    /// <summary>
    /// When the message stops holding (rules.md §5b): its <see cref="Expires"/> (without one, <c>Warnings:MaxInForce</c>
    /// after it was sent or received, whichever is later), or the <c>sent</c> time of the later message of its warning that replaced or cancelled it,
    /// whichever is first. Kept so that a late observation is judged against the warnings that held at its own time.
    /// </summary>
    public long? Until { get; set; }

    /// <summary>CAP <c>references</c> as sent.</summary>
    public string? References { get; init; }

    /// <summary>The first message of the warning (this one, or the first it references): its sender and identifier.</summary>
    /// <remarks>Set again when the message it references arrives after it (<see cref="WarningsApi"/>).</remarks>
    public required string ThreadSender { get; set; }

    public required string ThreadIdentifier { get; set; }

    /// <summary>A later message of the same warning (an Update or a Cancel) has arrived.</summary>
    public bool Superseded { get; set; }

    /// <summary>The agency's organization and client that posted it.</summary>
    public required string OrganizationId { get; init; }

    public required string AdapterId { get; init; }
    public required bool Sandbox { get; init; }
    public required long ReceivedAt { get; init; }

    /// <summary>The CAP 1.2 XML after the national-profile mapping.</summary>
    public required string Document { get; init; }

    /// <summary>Its JSON projection (schemas/cap-alert.schema.json), as the warning's event carries it.</summary>
    public required string Projection { get; init; }

    /// <summary>The GB/T 2260 areas the warning covers, from its geocodes; the first is the warning's district.</summary>
    public List<WarningArea> Areas { get; init; } = [];
}

/// <summary>One GB/T 2260 area a warning covers.</summary>
internal sealed class WarningArea
{
    public long WarningId { get; init; }
    public required string Code { get; init; }
    public required int Position { get; init; }
}
