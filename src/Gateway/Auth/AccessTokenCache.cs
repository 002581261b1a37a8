using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Validation;
using static OpenIddict.Validation.OpenIddictValidationEvents;

namespace IntegrationHub.Gateway.Auth;

/// <summary>
/// Access tokens that passed OpenIddict's validation (signature, type, lifetime), remembered by the SHA-256 of the token
/// so that a client's next request is not validated again: the RSA signature check and OpenIddict's claim mapping were
/// the largest cost of a proxied call in the <c>proxy</c> profile. Only a token that passed is remembered, never past its
/// own expiry on the hub's clock nor past <see cref="AuthOptions.ValidatedTokenCacheLifetime"/>, and at most
/// <see cref="AuthOptions.ValidatedTokenCacheSize"/> of them: when full, the half that expires soonest makes room, so that
/// a few clients fetching many tokens cannot keep everyone else's off the fast path until theirs expire. The signing keys are fixed for the life of the process, so
/// a remembered signature stays good. Revocation is not the token's business here and stays as it was: a rotated secret,
/// a suspension or a deleted adapter is refused by <see cref="ActiveClientHandler"/> on every request, remembered token or not.
/// </summary>
internal sealed class AccessTokenCache(TimeProvider time, IOptions<AuthOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();

    // ConcurrentDictionary.Count takes every bucket's lock; this is read on every admission instead.
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>A copy of the principal the token was validated into, if it is remembered and has not expired.</summary>
    public ClaimsPrincipal? Find(string token)
    {
        var key = Key(token);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }
        if (entry.Until <= time.GetUtcNow())
        {
            Remove(key, entry);
            return null;
        }
        // A principal of the request's own over the remembered identities: nothing in the hub changes a validated
        // identity's claims (only the token endpoint builds identities), and a deep copy cost as much as the rest of the look-up.
        return new ClaimsPrincipal(entry.Principal.Identities);
    }

    /// <summary>Remembers a token that has just passed validation into <paramref name="principal"/>.</summary>
    public void Remember(string token, ClaimsPrincipal principal)
    {
        var limit = options.Value;
        if (limit.ValidatedTokenCacheSize == 0 || principal.GetExpirationDate() is not { } expires)
        {
            return;
        }
        var now = time.GetUtcNow();
        var until = expires < now + limit.ValidatedTokenCacheLifetime ? expires : now + limit.ValidatedTokenCacheLifetime;
        if (until <= now)
        {
            return;
        }
        if (Count >= limit.ValidatedTokenCacheSize)
        {
            MakeRoom(now, limit.ValidatedTokenCacheSize);
        }
        var key = Key(token);
        var added = new Entry(principal.Clone(), until);
        // The count moves only with an add or a remove that happened: a replacement is made with TryUpdate over the entry
        // seen, so an eviction between the two (which counted its remove) makes it an add, counted, not a silent one.
        while (true)
        {
            if (_entries.TryAdd(key, added))
            {
                Interlocked.Increment(ref _count);
                return;
            }
            if (_entries.TryGetValue(key, out var current) && _entries.TryUpdate(key, added, current))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Forgets the expired entries and, if that is not enough, the half that expires soonest: a full cache admits new
    /// tokens again at once, and the sort runs once per half a cache of admissions.
    /// </summary>
    private void MakeRoom(DateTimeOffset now, int size)
    {
        lock (_evicting)
        {
            if (Count < size)
            {
                return;
            }
            var entries = _entries.ToArray();
            foreach (var (key, entry) in entries.Where(e => e.Value.Until <= now))
            {
                Remove(key, entry);
            }
            if (Count < size)
            {
                return;
            }
            foreach (var (key, entry) in entries.Where(e => e.Value.Until > now).OrderBy(e => e.Value.Until).Take(Math.Max(1, size / 2)))
            {
                Remove(key, entry);
            }
        }
    }

    private void Remove(string key, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, Entry>(key, entry)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    // The hash, not the token: the cache holds nothing a reader of the process's memory could present as a bearer token.
    private static string Key(string token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        return Convert.ToHexString(hash);
    }

    private sealed record Entry(ClaimsPrincipal Principal, DateTimeOffset Until);

    /// <summary>Before OpenIddict validates the access token: a remembered one is taken as validated, and OpenIddict's validation is skipped.</summary>
    internal sealed class ReuseHandler(AccessTokenCache cache) : IOpenIddictValidationHandler<ProcessAuthenticationContext>
    {
        public static OpenIddictValidationHandlerDescriptor Descriptor { get; } = OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .AddFilter<OpenIddictValidationHandlerFilters.RequireAccessTokenValidated>()
            .UseSingletonHandler<ReuseHandler>()
            .SetOrder(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor.Order - 500)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(ProcessAuthenticationContext context)
        {
            if (!string.IsNullOrEmpty(context.AccessToken) && cache.Find(context.AccessToken) is { } principal)
            {
                context.AccessTokenPrincipal = principal;
                context.ValidateAccessToken = false;
            }
            return default;
        }
    }

    /// <summary>After OpenIddict validated the access token: remembers it, if it passed.</summary>
    internal sealed class RememberHandler(AccessTokenCache cache) : IOpenIddictValidationHandler<ProcessAuthenticationContext>
    {
        public static OpenIddictValidationHandlerDescriptor Descriptor { get; } = OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .AddFilter<OpenIddictValidationHandlerFilters.RequireAccessTokenValidated>()
            .UseSingletonHandler<RememberHandler>()
            .SetOrder(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor.Order + 500)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(ProcessAuthenticationContext context)
        {
            if (!context.IsRejected && context.AccessTokenPrincipal is { } principal && !string.IsNullOrEmpty(context.AccessToken))
            {
                cache.Remember(context.AccessToken, principal);
            }
            return default;
        }
    }
}
