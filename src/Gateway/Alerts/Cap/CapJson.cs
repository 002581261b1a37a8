using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace IntegrationHub.Gateway.Alerts.Cap;

/// <summary>
/// The JSON projection of a CAP 1.2 message: the same element names and order, text as strings, and the elements CAP
/// lets repeat (info, category, responseType, eventCode, parameter, resource, area, polygon, circle, geocode, code)
/// always as arrays, so consumers never guess between a value and a list.
/// </summary>
internal static class CapJson
{
    public const string MediaType = "application/json";

    private static readonly HashSet<string> Repeating = ["info", "category", "responseType", "eventCode", "parameter", "resource", "area", "polygon", "circle", "geocode", "code"];

    public static JsonObject Project(XDocument document) => Element(document.Root!);

    private static JsonObject Element(XElement element)
    {
        var json = new JsonObject();
        foreach (var child in element.Elements())
        {
            var name = child.Name.LocalName;
            JsonNode value = child.HasElements ? Element(child) : JsonValue.Create(child.Value);
            if (Repeating.Contains(name))
            {
                ((json[name] ??= new JsonArray()) as JsonArray)!.Add(value);
            }
            else
            {
                json[name] = value;
            }
        }
        return json;
    }
}
