'use strict';

// s3rver, started as its CLI would, with one fix in front of it: S3 URL-decodes the x-amz-copy-source
// header, but s3rver reads it with decodeURI, which leaves %2F encoded. The AWS SDKs encode the slashes of
// the source key, so CopyObject of any key with a '/' failed with NoSuchBucket. The fix decodes the header
// fully and re-encodes it the way s3rver's decodeURI expects.
// usage: node s3rver-server.cjs <directory> <address> <port>
const path = require('node:path');
const S3rver = require(path.join(__dirname, 'node_modules', 's3rver'));

const [directory, address, port] = process.argv.slice(2);
const server = new S3rver({ directory, address, port: Number(port), silent: true });
server.middleware.unshift(async (ctx, next) => {
  const source = ctx.req.headers['x-amz-copy-source'];
  if (source) {
    ctx.req.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
  }
  await next();
});
server.run().catch(error => {
  console.error(error);
  process.exit(1);
});
