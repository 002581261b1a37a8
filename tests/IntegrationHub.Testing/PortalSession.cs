using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace IntegrationHub.Testing;

/// <summary>
/// A person's browser without the browser: a cookie jar, the portal's forms with their anti-forgery fields, and API
/// calls that carry the session's X-CSRF-TOKEN as the portal's pages do.
/// </summary>
public sealed partial class PortalSession : IDisposable
{
    private readonly HttpClient _client;

    public PortalSession(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        _client = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    }

    public CookieContainer Cookies { get; }

    public HttpClient Http => _client;

    /// <summary>Posts a portal form the way the page would: its anti-forgery field first read from the page.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string page, string action, Dictionary<string, string> fields)
    {
        // A form post is a new page's: it carries the form's field, not a script's header.
        _client.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        var html = await _client.GetStringAsync(new Uri(page, UriKind.Relative));
        var token = FormToken().Match(html);
        if (!token.Success)
        {
            throw new InvalidOperationException($"{page} carries no anti-forgery field.");
        }
        fields[token.Groups["name"].Value] = WebUtility.HtmlDecode(token.Groups["value"].Value);
        return await _client.PostAsync(new Uri(action, UriKind.Relative), new FormUrlEncodedContent(fields));
    }

    public Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        SubmitAsync("/account/sign-in", "/account/sign-in", new() { ["email"] = email, ["password"] = password });

    /// <summary>Chooses a password with an invitation's or a reset's link, as the person would on its page.</summary>
    public Task<HttpResponseMessage> ChoosePasswordAsync(Uri link, string password)
    {
        var token = System.Web.HttpUtility.ParseQueryString(link.Query)["token"] ?? throw new ArgumentException($"{link} carries no token.", nameof(link));
        return SubmitAsync(link.PathAndQuery, link.AbsolutePath, new() { ["token"] = token, ["password"] = password, ["confirm"] = password });
    }

    /// <summary>Asks the portal for the session's anti-forgery token and sends it with every later request.</summary>
    public async Task<JsonNode> UseSessionAsync()
    {
        var session = JsonNode.Parse(await _client.GetStringAsync(new Uri("/account/session", UriKind.Relative)))!;
        _client.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        _client.DefaultRequestHeaders.Add("X-CSRF-TOKEN", session["csrfToken"]!.GetValue<string>());
        return session;
    }

    public void Dispose() => _client.Dispose();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]+)\"")]
    private static partial Regex FormToken();
}
