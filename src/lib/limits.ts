// Bounds shared by every resource that has a name.

/**
 * The longest name of a container or a volume (a directory name's limit): the same bound at
 * create, at rename and for every path that names one, where a longer reference names nothing and
 * is that resource's usual 404.
 */
export const NAME_MAX = 255;
