using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using static StreamFunctions.Template.Tests.TemplateDocument;

namespace StreamFunctions.Template.Tests;

/// <summary>
/// Evaluates template.yaml's intrinsic functions for given parameter values, as CloudFormation would at deploy time:
/// the Rules section's functions (<c>Fn::Equals</c>, <c>Fn::Not</c>, <c>Fn::And</c>, <c>Fn::Or</c>, <c>Fn::Contains</c>), conditions, and the
/// string functions policies use (<c>Ref</c>, <c>Fn::If</c>, <c>Fn::Sub</c>, <c>Fn::Select</c>, <c>Fn::Split</c>, <c>Fn::Join</c>).
/// A function it does not know fails the evaluation, so nothing it cannot check passes unchecked.
/// </summary>
internal sealed partial class TemplateEvaluator
{
    /// <summary>What <c>!Ref AWS::NoValue</c> evaluates to: the property is left out.</summary>
    public static readonly object NoValue = new();

    private readonly TemplateDocument _template;
    private readonly Dictionary<string, object> _parameters = new(StringComparer.Ordinal);

    /// <summary>Parameters at their defaults, then <paramref name="overrides"/> (name=value).</summary>
    public TemplateEvaluator(TemplateDocument template, IReadOnlyDictionary<string, string>? overrides = null)
    {
        _template = template;
        foreach (var (key, value) in template.Parameters.Children)
        {
            var name = Text(key)!;
            var text = overrides is not null && overrides.TryGetValue(name, out var given) ? given : Text(Get(value, "Default"));
            if (text is null)
            {
                throw new InvalidOperationException($"parameter {name} has no default and no value");
            }

            _parameters[name] = Text(Get(value, "Type")) == "CommaDelimitedList" ? text.Split(',').Select(v => v.Trim()).ToArray() : text;
        }

        foreach (var name in overrides?.Keys ?? [])
        {
            if (!_parameters.ContainsKey(name))
            {
                throw new InvalidOperationException($"the template has no parameter {name}");
            }
        }

        _parameters["AWS::Partition"] = "aws";
        _parameters["AWS::Region"] = "eu-west-1";
        _parameters["AWS::AccountId"] = "123456789012";
        _parameters["AWS::NoValue"] = NoValue;
    }

    /// <summary>The assertions of the Rules section that fail (rule name and AssertDescription).</summary>
    public IReadOnlyList<string> FailedRules()
    {
        var failed = new List<string>();
        var rules = (YamlMappingNode?)Get(_template.Root, "Rules") ?? new YamlMappingNode();
        foreach (var (name, rule) in rules.Children)
        {
            if (Get(rule, "RuleCondition") is { } condition && !(bool)Evaluate(condition))
            {
                continue;
            }

            foreach (var assertion in ((YamlSequenceNode)Get(rule, "Assertions")!).Children)
            {
                if (!(bool)Evaluate(Get(assertion, "Assert")!))
                {
                    failed.Add($"{Text(name)}: {Text(Get(assertion, "AssertDescription"))}");
                }
            }
        }

        return failed;
    }

    /// <summary>A named condition's value.</summary>
    public bool Condition(string name) => (bool)Evaluate(_template.Conditions.Children[new YamlScalarNode(name)]);

    /// <summary>The value of a node: a string, a bool, a list, <see cref="NoValue"/>, or a mapping's node as it is.</summary>
    public object Evaluate(YamlNode node, IReadOnlyDictionary<string, string>? locals = null)
    {
        switch (Tag(node), node)
        {
            case ("!Ref", YamlScalarNode s):
                return _parameters.TryGetValue(s.Value!, out var value) ? value : throw new InvalidOperationException($"!Ref {s.Value} is not a parameter (resources are not evaluated)");
            case ("!Equals", YamlSequenceNode s):
                return Equals(Evaluate(s.Children[0], locals), Evaluate(s.Children[1], locals));
            case ("!Not", YamlSequenceNode s):
                return !(bool)Evaluate(s.Children[0], locals);
            case ("!And", YamlSequenceNode s):
                return s.Children.All(c => (bool)Evaluate(c, locals));
            case ("!Or", YamlSequenceNode s):
                return s.Children.Any(c => (bool)Evaluate(c, locals));
            case ("!Contains", YamlSequenceNode s):
                return ((string[])Evaluate(s.Children[0], locals)).Contains((string)Evaluate(s.Children[1], locals), StringComparer.Ordinal);
            case ("!If", YamlSequenceNode s):
                return Evaluate(Condition(Text(s.Children[0])!) ? s.Children[1] : s.Children[2], locals);
            case ("!Select", YamlSequenceNode s):
                return ((string[])Evaluate(s.Children[1], locals))[int.Parse(Text(s.Children[0])!, CultureInfo.InvariantCulture)];
            case ("!Split", YamlSequenceNode s):
                return ((string)Evaluate(s.Children[1], locals)).Split(Text(s.Children[0])!);
            case ("!Join", YamlSequenceNode s):
                return string.Join(Text(s.Children[0])!, ((YamlSequenceNode)s.Children[1]).Children.Select(c => (string)Evaluate(c, locals)));
            case ("!Sub", YamlScalarNode s):
                return Substitute(s.Value!, new Dictionary<string, string>(StringComparer.Ordinal));
            case ("!Sub", YamlSequenceNode s):
                return Substitute(Text(s.Children[0])!, ((YamlMappingNode)s.Children[1]).Children.ToDictionary(c => Text(c.Key)!, c => (string)Evaluate(c.Value, locals), StringComparer.Ordinal));
            case ("", YamlScalarNode s):
                return s.Value == "true" && s.Style == YamlDotNet.Core.ScalarStyle.Plain ? true : s.Value == "false" && s.Style == YamlDotNet.Core.ScalarStyle.Plain ? false : s.Value!;
            case ("", YamlSequenceNode s):
                return s.Children.Select(c => Evaluate(c, locals)).Where(v => !ReferenceEquals(v, NoValue)).ToArray();
            case ("", YamlMappingNode m) when m.Children.Count == 1 && m.Children.Keys.Single() is YamlScalarNode { Value: "Condition" } key:
                return Condition(Text(m.Children[key])!);
            case ("", YamlMappingNode m):
                return m;
            default:
                throw new InvalidOperationException($"the evaluator does not know {Tag(node)} on a {node.NodeType}");
        }
    }

    private string Substitute(string text, Dictionary<string, string> locals) =>
        SubVariable().Replace(text, m => locals.TryGetValue(m.Groups[1].Value, out var local) ? local
            : _parameters.TryGetValue(m.Groups[1].Value, out var value) && value is string s ? s
            : throw new InvalidOperationException($"!Sub {text}: ${{{m.Groups[1].Value}}} is neither a local nor a parameter"));

    private new static bool Equals(object a, object b) => a is string x && b is string y ? x == y : throw new InvalidOperationException("!Equals compares strings");

    [GeneratedRegex(@"\$\{([A-Za-z0-9:]+)\}")]
    private static partial Regex SubVariable();
}
