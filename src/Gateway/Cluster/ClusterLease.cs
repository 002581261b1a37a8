using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Gateway.Cluster;

/// <summary>
/// The leader's term, one row (<see cref="Leadership"/>): a node that takes the lease counts it up, and a pass of the
/// leader's commits only while it still holds the term the pass started under, read <c>FOR SHARE</c> in the pass's own
/// transaction, so that the next leader's count waits for the pass to end.
/// </summary>
internal sealed class ClusterLease
{
    public const int Row = 1;

    public int Id { get; set; }

    public long Term { get; set; }
}

internal sealed class ClusterLeaseConfiguration : IEntityTypeConfiguration<ClusterLease>
{
    public void Configure(EntityTypeBuilder<ClusterLease> entity)
    {
        entity.ToTable("cluster_lease");
        entity.Property(l => l.Id).ValueGeneratedNever();
    }
}
