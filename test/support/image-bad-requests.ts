/**
 * Bad requests to the image routes (docs/spec/images.md [IM2]), spread into
 * test/bad-input.test.ts's table: each a precise 4xx problem+json that writes nothing. The size
 * limit and the workspace quota have their own tests (test/images.test.ts).
 */
import { API_PREFIX } from '../../src/http/server.ts';

type Route = `${'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'} ${string}`;
type ImageBadRequest = {
  name: string;
  route: Route;
  path?: string;
  raw?: string;
  contentType?: string;
  status?: number;
  field?: string;
};

const IMAGES = `${API_PREFIX}/documents/{id}/images`;
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>';

export const IMAGE_BAD_REQUESTS: ImageBadRequest[] = [
  { name: 'an SVG with script', route: `POST ${IMAGES}`, raw: SVG, contentType: 'image/svg+xml', status: 415 },
  { name: 'an SVG sent as image/png', route: `POST ${IMAGES}`, raw: SVG, contentType: 'image/png', status: 415 },
  {
    name: 'HTML sent as image/jpeg',
    route: `POST ${IMAGES}`,
    raw: '<html></html>',
    contentType: 'image/jpeg',
    status: 415,
  },
  { name: 'a JSON body', route: `POST ${IMAGES}`, raw: '{"src":"x"}', contentType: 'application/json', status: 415 },
  {
    name: 'a form body',
    route: `POST ${IMAGES}`,
    raw: 'a=1',
    contentType: 'multipart/form-data; boundary=x',
    status: 415,
  },
  {
    name: 'invalid uuid',
    route: `POST ${IMAGES}`,
    path: `${API_PREFIX}/documents/not-a-uuid/images`,
    raw: 'x',
    contentType: 'image/png',
    field: 'params:/id',
  },
  {
    name: 'invalid uuid',
    route: `GET ${IMAGES}`,
    path: `${API_PREFIX}/documents/not-a-uuid/images`,
    field: 'params:/id',
  },
  {
    name: 'invalid image id',
    route: `GET ${IMAGES}/{imageId}`,
    path: `${API_PREFIX}/documents/{id}/images/not-a-uuid`,
    field: 'params:/imageId',
  },
];
