import { compileRoute, matchRoute, sortRoutes } from '../../local/routes';

describe('route templates of the local host', () => {
  const routes = sortRoutes([
    compileRoute('coupons/{code}', ['GET'], 'getCoupon'),
    compileRoute('coupons/{code}/pdf', ['GET'], 'getCouponPdf'),
    compileRoute('coupons', ['GET'], 'listCoupons'),
    compileRoute('coupons/{code}/cancel', ['POST'], 'cancelCoupon'),
    compileRoute('notifications/read-all', ['POST'], 'readAll'),
    compileRoute('notifications/{id}/read', ['POST'], 'read'),
    compileRoute('items/{id:int}', ['GET'], 'item'),
    compileRoute('files/{*path}', undefined, 'files'),
  ]);

  test('when a path has a parameter, then it is captured and URL-decoded', () => {
    expect(matchRoute(routes, 'GET', '/coupons/AB%2012')).toMatchObject({
      kind: 'found',
      route: { target: 'getCoupon' },
      params: { code: 'AB 12' },
    });
  });

  test('when a literal segment and a parameter both fit, then the literal wins', () => {
    expect(matchRoute(routes, 'POST', '/notifications/read-all')).toMatchObject({ route: { target: 'readAll' } });
    expect(matchRoute(routes, 'POST', '/notifications/abc/read')).toMatchObject({
      route: { target: 'read' },
      params: { id: 'abc' },
    });
  });

  test('when the method is not registered for the path, then method-not-allowed lists the allowed ones', () => {
    expect(matchRoute(routes, 'DELETE', '/coupons/X1')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
  });

  test('when an int constraint does not hold, then the route does not match', () => {
    expect(matchRoute(routes, 'GET', '/items/12')).toMatchObject({ kind: 'found', params: { id: '12' } });
    expect(matchRoute(routes, 'GET', '/items/abc')).toEqual({ kind: 'not-found' });
  });

  test('when a route has no methods, then any method matches, and catch-all takes the rest of the path', () => {
    expect(matchRoute(routes, 'PUT', '/files/a/b/c.txt')).toMatchObject({ params: { path: 'a/b/c.txt' } });
  });

  test('when a path has a trailing slash, then it still matches', () => {
    expect(matchRoute(routes, 'GET', '/coupons/')).toMatchObject({ route: { target: 'listCoupons' } });
  });
});
