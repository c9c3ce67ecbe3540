using YamlDotNet.RepresentationModel;

namespace StreamFunctions.Template.Tests;

/// <summary>template.yaml as YAML nodes, with CloudFormation's short-form tags (<c>!Ref</c>, <c>!GetAtt</c>, …) kept on the nodes.</summary>
internal sealed class TemplateDocument
{
    private TemplateDocument(YamlMappingNode root) => Root = root;

    public YamlMappingNode Root { get; }

    public YamlMappingNode Parameters => (YamlMappingNode)Root["Parameters"];

    public YamlMappingNode Conditions => (YamlMappingNode)Root["Conditions"];

    public YamlMappingNode Resources => (YamlMappingNode)Root["Resources"];

    public YamlMappingNode Outputs => (YamlMappingNode)Root["Outputs"];

    public static TemplateDocument Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return new TemplateDocument((YamlMappingNode)stream.Documents[0].RootNode);
    }

    /// <summary>The resources of a type, by logical id.</summary>
    public IEnumerable<(string Id, YamlMappingNode Resource)> OfType(string type) =>
        Resources.Children
            .Where(r => ((YamlMappingNode)r.Value).Children.TryGetValue(new YamlScalarNode("Type"), out var t) && ((YamlScalarNode)t).Value == type)
            .Select(r => (((YamlScalarNode)r.Key).Value!, (YamlMappingNode)r.Value));

    /// <summary>Every node under <paramref name="node"/>, itself included, depth first.</summary>
    public static IEnumerable<YamlNode> All(YamlNode node)
    {
        yield return node;
        var children = node switch
        {
            YamlMappingNode m => m.Children.SelectMany(c => new[] { c.Key, c.Value }),
            YamlSequenceNode s => s.Children,
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var descendant in All(child))
            {
                yield return descendant;
            }
        }
    }

    public static string? Text(YamlNode? node) => (node as YamlScalarNode)?.Value;

    public static YamlNode? Get(YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var step in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(step), out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    public static string Tag(YamlNode node) => node.Tag.IsEmpty ? string.Empty : node.Tag.Value;
}
