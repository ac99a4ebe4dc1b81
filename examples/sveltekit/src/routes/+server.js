export const GET = () => new Response('the app itself');
