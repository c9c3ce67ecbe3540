"""Runs AWS's SAM translator (aws-sam-translator, what `sam build` and `sam deploy` use) over template.yaml, as
CloudFormation's AWS::Serverless-2016-10-31 transform would, and prints the resulting resources as JSON; with the
translator's errors, prints them one a line and exits 1. tests/StreamFunctions.Template.Tests runs it.

    python3 tools/template-lint/sam_translate.py template.yaml [Name=Value ...]
"""
import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse


class Session:
    """The translator asks a boto3 session for the region (for ARNs); a fixed one keeps the machine's AWS settings out."""

    region_name = "eu-west-1"


def main(path, assignments):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # `sam deploy` uploads the code first: CodeUri is then an S3 location.
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    parameters = dict(a.split("=", 1) for a in assignments)
    try:
        # No managed policy map: the template's policies are inline statements only, none named for IAM to look up.
        output = Translator({}, Parser(), boto_session=Session()).translate(template, parameters)
    except InvalidDocumentException as e:
        for cause in e.causes:
            print("error: " + cause.message)
        return 1
    json.dump(output["Resources"], sys.stdout, sort_keys=True, separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
