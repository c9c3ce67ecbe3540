using System.Text;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators.Tests;

/// <summary>The CompleteMultipartUpload body: as the SDKs send it, and the XML no reader here may act on.</summary>
public sealed class CompleteMultipartUploadXmlTests
{
    [Fact]
    public void Parse_SdkBodyWithNamespaceAndChecksums_ThePartsInOrder()
    {
        const string Xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>"a54357aff0632cce46d942af68356b38"</ETag><PartNumber>1</PartNumber></Part>
              <Part><PartNumber> 3 </PartNumber><ETag>0c78aef83f66abc1fa1e8477f296d394</ETag></Part>
            </CompleteMultipartUpload>
            """;

        var parts = CompleteMultipartUploadXml.Parse(Encoding.UTF8.GetBytes(Xml));

        Assert.Equal([(1, "\"a54357aff0632cce46d942af68356b38\""), (3, "0c78aef83f66abc1fa1e8477f296d394")], parts);
    }

    [Theory]
    [InlineData("<!DOCTYPE CompleteMultipartUpload [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&b;</ETag></Part></CompleteMultipartUpload>", "MalformedXML")]
    [InlineData("<!DOCTYPE x SYSTEM \"http://127.0.0.1:1/x.dtd\"><CompleteMultipartUpload/>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload/>", "MalformedXML")]
    [InlineData("<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber><b>1</b></PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload><more/>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPart")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPart")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPart")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPartOrder")]
    public void Parse_RefusedBody_S3Error(string xml, string code)
    {
        var error = Assert.Throws<S3RequestException>(() => CompleteMultipartUploadXml.Parse(Encoding.UTF8.GetBytes(xml)));

        Assert.Equal((code, 400), (error.ErrorCode, error.StatusCode));
    }

    [Fact]
    public void Parse_OverTheLimit_MaxMessageLengthExceeded()
    {
        var error = Assert.Throws<S3RequestException>(() => CompleteMultipartUploadXml.Parse(new byte[CompleteMultipartUploadXml.MaxBytes + 1]));

        Assert.Equal("MaxMessageLengthExceeded", error.ErrorCode);
    }
}
